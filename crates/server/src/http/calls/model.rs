//! What the call endpoints answer: the application layer's views of a call.

pub use callbase_app::calls::view::{
    CallActionOut, CallDetailOut, CallEventOut, CallOut, TimelineAppendOut,
};
