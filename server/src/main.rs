use clap::Parser;
use leptos::prelude::get_configuration;
use server::{
    admin_cli,
    config::{Command, Config, LogFormat},
    scenario,
    serve::{self, ServeLimits},
    web,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let config = Config::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
    }
    if let Some(Command::Admin { command }) = config.command.clone() {
        match admin_cli::run(&config.database_url, command).await {
            Ok(text) => println!("{text}"),
            Err(error) => exit(&error),
        }
        return;
    }
    let leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(error) => exit(&format!("Leptos configuration: {error}")),
    };
    let address = leptos_options.site_addr;
    // The port first: a server that cannot listen must not have started its job runner.
    let listener = match listen(address) {
        Ok(listener) => listener,
        Err(error) => exit(&format!("cannot listen on {address}: {error}")),
    };
    let server = match server::start(&config, leptos_options).await {
        Ok(server) => server,
        Err(error) => exit(&format!("start-up failed: {error}")),
    };
    if config.demo() && config.public_url.is_some() {
        tracing::warn!(
            "the demo data is on for a site with a public URL: its passwords are public"
        );
    }
    // The demo's passwords are public; a scenario file's are not printed.
    if config.demo() {
        println!(
            "{}",
            scenario::banner(scenario::demo(), &address.to_string())
        );
    } else {
        println!("\nFusion Teams Onboarding at http://{address}/\n");
    }
    if config.mock_controls() && config.public_url.is_some() {
        tracing::warn!(
            "the mock controls are on for a site with a public URL: its group admins with the \
             mock-admin profile can rewrite all of its data"
        );
    }
    tracing::info!(%address, database = %config.database_url, "listening");
    let limits = ServeLimits {
        header_timeout: config.header_timeout(),
        max_connections: config.max_connections,
        max_connections_per_address: config.max_connections_per_address,
        grace: config.shutdown_grace(),
    };
    let router = web::router(server.state.clone());
    // On SIGTERM or Ctrl-C the listener stops accepting and open requests finish while
    // the job runner stops claiming and lets its running steps finish, both within the
    // grace period.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        serve::shutdown_signal().await;
        let _ = stopping.send(true);
    });
    let signalled = |mut stop: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let jobs = async {
        signalled(stop.clone()).await;
        server.shutdown(config.shutdown_grace()).await
    };
    let ((), lock) = tokio::join!(
        serve::serve(listener, router, limits, signalled(stop.clone())),
        jobs
    );
    tracing::info!("stopped");
    // Only now may another server open the database.
    drop(lock);
}

/// The listening socket, with a backlog deep enough that a burst of connections waits
/// for a free slot instead of being dropped and retried a second later by the kernel.
fn listen(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(1024)
}

fn exit(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
