//! One module per page.

mod home;
mod login;
mod not_found;
mod simulator;
mod subscription;

pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use simulator::SimulatorPage;
pub use subscription::SubscriptionPage;
