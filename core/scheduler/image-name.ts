/** normalizedImageName: an image reference without a tag gets ":latest"; tags and digests are kept. */
export function normalizedImageName(name: string): string {
  if (name.lastIndexOf(":") <= name.lastIndexOf("/")) return `${name}:latest`;
  return name;
}
