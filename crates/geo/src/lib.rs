//! Terrain's geography engine: where the doors are, how to cut them into turfs, and in what
//! order to walk them.
//!
//! Pure: values and readers in, values out; no clock, no filesystem, randomness only from a
//! seed the caller passes.
//!
//! * [`proj`]: Lambert-93 ↔ WGS84, and a local metric projection for distances;
//! * [`index`]: R-tree of points, point-in-polygon location;
//! * [`geom`]: convex hulls, areas, Hilbert keys;
//! * [`cut`]: partition of each bureau's doors into turfs of a target size;
//! * [`quality`]: the quality measures reported for every cut;
//! * [`route`]: walking order inside a turf, and session-length estimates;
//! * [`network`]: the walkable street network from OpenStreetMap, snapping, walking distances;
//! * [`edit`]: move, merge, split, redraw and re-cut turfs (locked turfs untouched);
//! * [`turfs`]: the `terrain turfs` command on CSV readers and writers.

pub(crate) mod balance;
pub mod cut;
pub mod edit;
pub mod geom;
pub mod index;
pub mod network;
pub mod proj;
pub mod quality;
pub mod route;
pub mod turfs;
