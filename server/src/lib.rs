//! The dashboard server: configuration, wiring, demo data and the built-in AURA sandbox.

pub mod api;
pub mod closures;
pub mod commands;
pub mod config;
pub mod demo;
pub mod guard;
pub mod listen;
pub mod sandbox;
pub mod serve;
pub mod sessions;
pub mod web;
