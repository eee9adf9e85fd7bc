//! Integration tests: a real server on real sockets against real databases.

mod helpers;

mod customers;
