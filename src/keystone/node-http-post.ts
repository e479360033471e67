// POST over node's own http/https client with a keep-alive agent: the worker's way to Keystone. undici keeps each
// connection's requests in an array that it shortens only every 257 requests, so a worker holding its entries
// also held a per-connection history whose size at a reading depended on how the requests had spread over the
// connections; node's agent keeps nothing of a request once it is answered.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PostError, type Post } from './auth.ts';

export function nodeHttpPost(maxSockets: number): { post: Post; close(): void } {
  const http = new HttpAgent({ keepAlive: true, maxSockets });
  const https = new HttpsAgent({ keepAlive: true, maxSockets });
  const post: Post = (url, headers, body, timeoutMs) => new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    let answered = false;
    const fail = (why: 'timeout' | 'network' | 'broken', err: Error) => {
      clearTimeout(timer);
      reject(new PostError(why, err));
    };
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: 'POST', agent: secure ? https : http, headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    }, (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => fail('broken', err));
      res.on('aborted', () => fail('broken', new Error('aborted')));
    });
    // one bound on the whole exchange: a Keystone that accepts and never answers fails the attempt
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      req.destroy(err);
      fail('timeout', err);
    }, timeoutMs);
    req.on('error', (err) => fail(answered ? 'broken' : 'network', err));
    req.end(body);
  });
  return { post, close: () => { http.destroy(); https.destroy(); } };
}
