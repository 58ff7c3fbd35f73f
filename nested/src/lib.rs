//! Nested virtualization core (virtual EL2, VNCR page, shadow stage-2 cache,
//! trap routing into L1). Not built yet: see the open issues.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
