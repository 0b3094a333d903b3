export { type Config, type ConfigInput, ConfigSchema } from './schema.js';
export { ENV_VARS, coerce, loadConfig, parseConfig } from './load.js';
