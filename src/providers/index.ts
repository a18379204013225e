import { UsageError } from '../errors.js';
import { claudeCode } from './claude-code.js';
import { aider } from './aider.js';
import { amp } from './amp.js';
import { codex } from './codex.js';
import { copilot } from './copilot.js';
import { cursor } from './cursor.js';
import { geminiCli } from './gemini-cli.js';
import { opencode } from './opencode.js';
import { PROVIDERS, type ProviderName, type SessionProvider } from './types.js';

/** Every provider module, by name. Adding a provider adds one module and one line here. */
export const ALL_PROVIDERS: Record<ProviderName, SessionProvider> = {
  'claude-code': claudeCode,
  codex,
  'gemini-cli': geminiCli,
  amp,
  copilot,
  cursor,
  aider,
  opencode,
};

/** The providers named on the command line (aliases: claude, claude-code), or all of them. */
export function selectProviders(names: readonly string[] | undefined): SessionProvider[] {
  if (!names || names.length === 0) return PROVIDERS.map((name) => ALL_PROVIDERS[name]);
  return names.map((raw) => {
    const name = raw === 'claude' ? 'claude-code' : raw === 'gemini' ? 'gemini-cli' : raw;
    const provider = (ALL_PROVIDERS as Record<string, SessionProvider | undefined>)[name];
    if (!provider) throw new UsageError(`unknown provider "${raw}" (choose from ${PROVIDERS.join(', ')})`);
    return provider;
  });
}
