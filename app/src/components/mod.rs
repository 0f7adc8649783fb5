//! Widgets used by more than one page.

pub mod feedback;
pub mod nav;
pub mod service;
