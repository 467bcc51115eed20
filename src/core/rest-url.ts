import { badInput } from './errors.js';

/**
 * The base URL of an HTTP API as a person writes it, in one form: `127.0.0.1:8081`,
 * `localhost:8081/` and `http://127.0.0.1:8081` all become `http://127.0.0.1:8081` (without a
 * scheme, http is meant: a bare host:port would otherwise be read as a URL whose scheme is the
 * host). `what` names the flag in the message. Throws `bad-input` for anything that is not an
 * http(s) address.
 */
export function normaliseRestUrl(text: string, what: string): string {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  const example = `e.g. ${what} http://127.0.0.1:8081`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badInput(`${what} "${text}" is not an address`, `give the REST address as http://HOST:PORT, ${example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`${what} "${text}": ${url.protocol.replace(/:$/, '')} is not HTTP`, `give an http:// or https:// address, ${example}`);
  if (url.hostname === '' || url.search !== '' || url.hash !== '' || url.username !== '') throw badInput(`${what} "${text}" is not a plain HTTP address`, `give only scheme, host, port and path, ${example}`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
