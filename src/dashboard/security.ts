import crypto from 'node:crypto';
import { badInput } from '../core/errors.js';

/**
 * Who may call the dashboard: reads from any page served by this server's own host name;
 * mutating calls only with the token and, from a browser, only from the dashboard's own origin.
 * The Host check closes DNS rebinding (a page of another site whose name now points here).
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i;

export const isLoopback = (host: string) => LOOPBACK.test(host);

/** At least this many characters: a token is all that guards the mutating calls of a non-loopback bind. */
export const MIN_TOKEN_CHARS = 16;

/** A new random token (printed once, never sent to the page). */
export const newToken = () => crypto.randomBytes(18).toString('base64url');

/**
 * The bind and the token, checked before anything is opened: a non-loopback --host needs a
 * --token given (it is the only guard of the mutating calls then); on loopback one is generated
 * when none is given. Throws KhaosError('bad-input') naming the fix.
 */
export function checkBind(host: string, token: string | undefined): { token: string; generated: boolean } {
  if (token !== undefined && token.length < MIN_TOKEN_CHARS) throw badInput(`--token is ${token.length} characters long: too short to guard the dashboard`, `give one of at least ${MIN_TOKEN_CHARS} characters (e.g. \`openssl rand -base64 18\`)`);
  if (!isLoopback(host) && token === undefined) throw badInput(`--host ${host} binds beyond this machine, and no --token was given`, 'give --token T (at least 16 characters; anyone who can reach the port needs it to pause or override control), or leave out --host to bind to 127.0.0.1');
  return token === undefined ? { token: newToken(), generated: true } : { token, generated: false };
}

/** The host names this server answers to: loopback names, and the bound host. */
export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.replace(/:\d+$/, '');
  return isLoopback(name) || name === boundHost || `[${boundHost}]` === name;
}

/** Why a mutating call is refused, or undefined when it may go on. */
export function mutationRefusal(h: { origin?: string; host?: string; authorization?: string }, token: string): { status: 401 | 403; error: string; hint: string } | undefined {
  // Browsers send Origin with every POST; a client without one (curl) is not a page of another site.
  if (h.origin !== undefined && h.origin !== `http://${h.host}`) {
    return { status: 403, error: `a mutating call from another origin (${h.origin}) is refused`, hint: 'send it from the dashboard page itself' };
  }
  const given = /^Bearer (.+)$/.exec(h.authorization ?? '')?.[1];
  const ok = given !== undefined && given.length === token.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(token));
  if (!ok) return { status: 401, error: given === undefined ? 'this call needs the dashboard token' : 'bad token', hint: 'give the token `khaos dashboard` printed when it started (or its --token)' };
  return undefined;
}
