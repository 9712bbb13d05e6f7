//! callbase's application layer. It starts with the egress client (SPEC REL-5); the use cases
//! (intake, commands, imports, workers) move here as the sources that need them arrive.

pub mod egress;
