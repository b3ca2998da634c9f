//! Weights measured on this runtime and its database (ParityDb) for the FRAME parts that ship
//! without them (`scripts/weights.sh system_extensions` regenerates them).

pub mod frame_system_extensions;
