#pragma once

// The federation module: gossip of per-origin usage summaries, audit chain heads and
// membership between regional nodes. Start at gossiper.h (the engine, sans-IO) and frame.h
// (FrameSplitter for the TCP stream); README.md has the wire format and the design.

#include "federation/frame.h"     // IWYU pragma: export
#include "federation/gossiper.h"  // IWYU pragma: export
#include "federation/types.h"     // IWYU pragma: export
