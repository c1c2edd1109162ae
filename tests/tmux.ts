/**
 * A private tmux server for real-terminal tests (send-keys, capture-pane).
 * Without tmux (`apt-get install -y tmux`) `hasTmux` is false and the tests
 * that need it are ignored with a printed reason.
 */

/** The project root, for `cd` in terminal commands. */
export const root: string = new URL("../", import.meta.url).pathname;

/** Whether tmux is installed. */
export const hasTmux: boolean = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

/** Single-quotes a string for the shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A tmux server on its own socket in a temporary folder, kept up by a `keeper` session. */
export interface TmuxServer {
  /** Runs `tmux -S <socket> ...args` and returns its stdout. */
  tmux(...args: string[]): string;
  /** Stops the server and removes its folder. */
  close(): void;
}

/**
 * Starts a private server (when tmux exists; otherwise prints why the caller's tests are skipped).
 * @param who the test file, for the message
 * @param prefix the temporary folder's prefix
 */
export function tmuxServer(who: string, prefix: string): TmuxServer {
  if (!hasTmux) {
    console.log(`${who}: tmux is not installed, so the terminal tests only say so`);
    return { tmux: () => "", close() {} };
  }
  const dir = Deno.makeTempDirSync({ prefix });
  const socket = `${dir}/socket`;
  const tmux = (...args: string[]) => {
    const r = new Deno.Command("tmux", { args: ["-S", socket, ...args], stdout: "piped", stderr: "piped" })
      .outputSync();
    return new TextDecoder().decode(r.stdout);
  };
  // a session that outlives each test's own, so the server never stops between tests
  tmux("new-session", "-d", "-s", "keeper", "sleep 600");
  return {
    tmux,
    close() {
      tmux("kill-server");
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
