/**
 * Renders spec/reply-reactions.json (the machine's reply table, RFC 5321 §4.3.2) as Markdown for
 * spec/reply-reactions.md. Pure; scripts/generate-state-chart.ts writes the file and a test checks it.
 */

export interface ReplyReactionTable {
  readonly $comment: string;
  readonly states: readonly {
    readonly state: string;
    readonly reach: string;
    readonly rfc: string;
    readonly config?: string;
    readonly reactions: readonly {
      reply: string;
      next: string;
      quit?: boolean;
      send: string;
      why: string;
    }[];
  }[];
}

export function replyReactionsMarkdown(table: ReplyReactionTable): string {
  const out = [
    '# Reply reactions of the session machine',
    '',
    '<!-- Generated from spec/reply-reactions.json by scripts/generate-state-chart.ts. Do not edit. -->',
    '',
    table.$comment,
    '',
  ];
  for (const row of table.states) {
    out.push(`## ${row.state}${row.config ? ` (${row.config})` : ''}`, '', `${row.rfc}`, '');
    out.push('| reply | next state | send | why |', '|---|---|---|---|');
    for (const r of row.reactions)
      out.push(`| ${r.reply} | ${r.quit ? `${r.next} (QUIT first)` : r.next} | ${r.send} | ${r.why} |`);
    out.push('');
  }
  return out.join('\n');
}
