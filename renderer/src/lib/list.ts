/** Addresses, group names and webhook:NAME typed with commas, semicolons or new lines between them (a space inside one stays, to be refused). */
export function splitList(text: string): string[] {
  return text
    .split(/[,;\n]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}
