//! # Whole-market tests
//!
//! The Bourse pallets together in one mock runtime (balances, reputation, offers, tasks and
//! attestation, wired through their traits as the runtime wires them): settlement with real
//! offers and reputation, liars, silent replicas, colluders, ties and cancellation, with every
//! pallet's invariants checked after every step. Each pallet's own tests use fakes of its
//! neighbours; the flows that need them all live here.
#![cfg(test)]

mod mock;
mod tests;
