/**
 * The guided lessons: `deno task lesson [N]`, or `deno run lesson.ts [N]`.
 *
 * The lessons read and write files (progress, datasets, weights), read
 * environment variables (the locale, HOME) and may download (CIFAR-10,
 * ResNet weights). `deno task lesson` grants exactly that. Started as a plain
 * `deno run lesson.ts N`, it asks once (Deno's own prompt) to start itself
 * again with those permissions; without a terminal to ask on, it prints the
 * command to use.
 * @module
 */

const PERMISSIONS: Deno.PermissionDescriptor[] = [
  { name: "read" },
  { name: "write" },
  { name: "env" },
  { name: "net" },
];
const FLAGS = ["--allow-read", "--allow-write", "--allow-env", "--allow-net"];

const script = new URL(import.meta.url).pathname;
const root = script.slice(0, script.lastIndexOf("/") + 1);

function granted(): boolean {
  return PERMISSIONS.every((p) => Deno.permissions.querySync(p).state === "granted");
}

function say(s: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(s + "\n"));
}

/** Starts `deno run <flags> lesson.ts <args>` with the terminal, and returns its exit status. */
async function reexec(): Promise<number> {
  // Ctrl-C while the child runs code reaches both processes: this one must outlive it.
  Deno.addSignalListener("SIGINT", () => {});
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, script, ...Deno.args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

if (import.meta.main) {
  if (granted()) {
    const { main } = await import("./lessons/ui.ts");
    Deno.exit(await main(Deno.args, root));
  }
  const args = Deno.args.map((a) => (/^[\w.=\/-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
  const command = `deno run ${FLAGS.join(" ")} lesson.ts${args ? " " + args : ""}`;
  const task = `deno task lesson${args ? " " + args : ""}`;
  // (the locale cannot be read without the env permission: both languages then)
  say(
    `The lessons read and write files (progress, datasets), read environment variables (the locale, HOME)\n` +
      `and download (CIFAR-10, pretrained weights). \`${task}\` starts them without asking.\n` +
      `课程需要读写文件(进度、数据集)、读取环境变量(语言、HOME)并联网下载(CIFAR-10、预训练权重)。` +
      `用 \`${task}\` 启动就不会询问。`,
  );
  if (Deno.stdin.isTerminal()) {
    say(
      `Start again with those permissions? Deno asks whether deno may run itself.\n` +
        `以这些权限重新启动吗?Deno 会询问是否允许运行 deno 本身。`,
    );
    const ok = Deno.permissions.requestSync({ name: "run", command: Deno.execPath() }).state === "granted";
    if (ok) Deno.exit(await reexec());
  }
  say(`Run / 请运行:\n  ${task}\nor / 或:\n  ${command}`);
  Deno.exit(2);
}
