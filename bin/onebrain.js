#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (dist/), so Node >= 22.13 needs no type stripping.
import "../dist/cli/main.js";
