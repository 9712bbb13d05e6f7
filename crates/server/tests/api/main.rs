//! API tests: a real server on 127.0.0.1:0 with a fresh database per test, driven over HTTP,
//! every case run once on SQLite and once on PostgreSQL.

mod helpers;

mod audit;
mod auth;
mod calls;
mod contract;
mod errors;
mod hardening;
mod integrations;
mod isolation;
mod openapi;
mod ops;
mod recordings;
mod roles;
mod tokens;
mod users;
mod webhooks;
mod workspaces;
