#!/usr/bin/env node
// Build step: serve's OpenAPI 3.1 and Swagger 2.0 documents from integration.yml and schemas/
// (dist/openapi/openapi.json, swagger.json): serve answers GET /v1/openapi.json and
// /v1/swagger.json with them, and a platform that imports a file (Logic Apps) can take them from here.
import { writeApiDocuments } from '../dist/integration/faces/serve/openapi.js';

try {
  writeApiDocuments();
} catch (e) {
  console.error(`build: ${e.message}`);
  process.exitCode = 1;
}
