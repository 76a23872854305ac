//! Pieces shared by the pages.

mod download;
mod field;
mod hydration;
mod notice;

pub use download::{go_to, save_file};
pub use field::TextField;
pub use hydration::hydrated;
pub use notice::{ErrorNote, Loading};
