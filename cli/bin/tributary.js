#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by the root `prepare` script on `npm install`).
await import("../dist/main.js");
