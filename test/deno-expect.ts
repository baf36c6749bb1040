/** vitest's assertion library, assembled outside vitest (for `deno test`). */
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from "@vitest/expect";
import * as chai from "chai";
import type { expect as vitestExpect } from "vitest";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = ((value: unknown, message?: string) => {
  const { expect: chaiExpect } = chai as unknown as { expect: (v: unknown, m?: string) => unknown };
  return chaiExpect(value, message);
}) as unknown as typeof vitestExpect;
