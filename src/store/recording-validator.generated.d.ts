// Declares what src/json/gen-validators.mjs generates into dist/ at build time (ajv standalone code of the schema):
// the generator fails the build when the names here differ from what it writes.
import type {ValidateFunction} from 'ajv'

export declare const validateRecordingSchema: ValidateFunction
