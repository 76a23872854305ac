use clap::Parser;
use leptos::prelude::get_configuration;
use server::{config::Config, seed, web};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let config = Config::parse();
    let leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(error) => exit(&format!("Leptos configuration: {error}")),
    };
    let address = leptos_options.site_addr;
    let state = match server::start(&config, leptos_options).await {
        Ok(state) => state,
        Err(error) => exit(&format!("start-up failed: {error}")),
    };
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => exit(&format!("cannot listen on {address}: {error}")),
    };
    if config.demo {
        println!("{}", seed::demo_banner(&address.to_string()));
    }
    tracing::info!(%address, database = %config.database_url, "listening");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = axum::serve(listener, web::router(state))
        .with_graceful_shutdown(shutdown)
        .await
    {
        exit(&format!("server error: {error}"));
    }
}

fn exit(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
