/** Prints `.env.example` from lib/config.ts: `npx tsx scripts/env-example.ts > .env.example`. */
import { renderEnvExample } from '../lib/config';

process.stdout.write(renderEnvExample());
