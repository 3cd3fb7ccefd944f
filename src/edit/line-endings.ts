/** True when every line of the text ends in CR LF: then the lines we add do too. */
export function usesCrlf(text: string): boolean {
  const newlines = text.split('\n').length - 1;
  return newlines > 0 && text.split('\r\n').length - 1 === newlines;
}
