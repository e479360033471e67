// The known-answer pair's base: a token id per entry and nothing else (see node-payload.ts).
import { defineDesign } from '../src/designs/contract.ts';

export default defineDesign({
  id: 'example-node-token-only',
  title: 'Token id per entry (known answer base)',
  topology: 'per-worker',
  async open(ctx) {
    return {
      async create(trustId) {
        const { tokenId } = await ctx.authenticate(trustId, { catalog: false });
        return { tokenId, payload: null as number[] | null };
      },
      token: async (entry) => entry.tokenId,
      async close() {},
    };
  },
});
