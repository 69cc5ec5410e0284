// Svelte compiler options for the admin UI: runes everywhere (Svelte 5), no legacy mode.
export default {
  compilerOptions: { runes: true },
};
