"""One state machine per kind of component: samples, ticks and requests in, frames out."""
