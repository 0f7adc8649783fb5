//! The integration tests, as one binary: linking the whole dashboard once instead of once per file
//! is most of their build time on two cores.

mod access;
mod api;
mod aura_client;
mod aura_stub;
mod booking_more;
mod calendar;
mod changes;
mod cli;
mod common;
mod dashboard;
mod export;
mod feed;
mod hostile;
mod mail;
mod process;
mod reliability;
mod replicas;
mod sandbox_contract;
mod webhooks;
