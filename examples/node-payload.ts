// A known-answer design: what node-token-only keeps, plus 8,192 doubles (64 KiB of elements) per entry. The
// difference of the two designs' slopes must be that payload: a check that the harness measures what is there.
import { defineDesign } from '../src/designs/contract.ts';

export default defineDesign({
  id: 'example-node-payload',
  title: 'Token id plus 8,192 doubles per entry (known answer)',
  topology: 'per-worker',
  async open(ctx) {
    return {
      async create(trustId) {
        const { tokenId } = await ctx.authenticate(trustId, { catalog: false });
        return { tokenId, payload: new Array<number>(8192).fill(1.5) };
      },
      token: async (entry) => entry.tokenId,
      async close() {},
    };
  },
});
