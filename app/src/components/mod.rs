//! Pieces shared by the pages.

mod confirm;
mod download;
mod field;
mod hydration;
mod notice;

pub use confirm::Confirm;
pub use download::{go_to, save_file};
pub use field::TextField;
pub use hydration::hydrated;
pub use notice::{ErrorNote, Loading};
