//! Nested virtualization core (virtual EL2, VNCR page, shadow stage-2 cache,
//! trap routing into L1). Not built yet: this crate is the place for it, and
//! `el2/src/vcpu.rs` keeps the per-mode decisions in one spot for it.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
