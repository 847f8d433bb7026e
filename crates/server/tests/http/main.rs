//! HTTP tests of the server, each against a real server bound to 127.0.0.1:0 over a fresh
//! database: SQLite always, PostgreSQL when a server answers (see `terrain_store::testing`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod data;
mod diagnostic;
mod field;
mod fuzz_sync;
mod harness;
mod matrix;
mod openapi;
mod paper;
mod privacy;
mod quotas;
mod security;
mod turfs;
mod volunteers;
