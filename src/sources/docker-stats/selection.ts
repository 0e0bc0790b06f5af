/**
 * Which containers the stats source samples. Pure: decides from a
 * container's name, image and labels (which labels go into records:
 * `pickLabels` in src/docker/containers.ts).
 */
import picomatch from 'picomatch';

export interface SelectorOptions {
  /** Globs on the container name (without the leading `/`). */
  readonly names?: readonly string[] | undefined;
  /** Globs on the image as the container was created with it (`nginx:1`, `registry/app:tag`). */
  readonly images?: readonly string[] | undefined;
  /** `key` (label present) or `key=value` (label equals value). */
  readonly labels?: readonly string[] | undefined;
}

export interface ContainerFacts {
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
}

type Test = (c: ContainerFacts) => boolean;

function labelTest(selector: string): Test {
  const eq = selector.indexOf('=');
  if (eq < 0) return (c) => Object.hasOwn(c.labels, selector);
  const key = selector.slice(0, eq);
  const value = selector.slice(eq + 1);
  return (c) => c.labels[key] === value;
}

/**
 * A pattern without `/` (`nginx*`) also matches the last path part of the
 * image (`docker.io/library/nginx:1`); one with `/` matches the whole name.
 * (picomatch's `basename` option would apply to every pattern, hence two matchers.)
 */
function imageTest(patterns: readonly string[]): Test {
  const whole = patterns.filter((p) => p.includes('/'));
  const base = patterns.filter((p) => !p.includes('/'));
  const matchWhole = whole.length ? picomatch(whole, { dot: true }) : () => false;
  const matchBase = base.length ? picomatch(base, { dot: true, basename: true }) : () => false;
  return (c) => matchWhole(c.image) || matchBase(c.image);
}

/** One test per kind given (names, images, labels); within a kind any pattern may match. */
function kindTests(sel: SelectorOptions | undefined): Test[] {
  const tests: Test[] = [];
  if (sel?.names?.length) {
    const match = picomatch([...sel.names], { dot: true });
    tests.push((c) => match(c.name));
  }
  if (sel?.images?.length) tests.push(imageTest(sel.images));
  if (sel?.labels?.length) {
    const any = sel.labels.map(labelTest);
    tests.push((c) => any.some((t) => t(c)));
  }
  return tests;
}

/**
 * A container is selected when it matches `include` (every kind listed there
 * must match, like the daemon's filters: same kind ORs, different kinds AND;
 * no include means everything) and matches nothing in `exclude` (any pattern
 * of any kind excludes).
 */
export function containerSelector(include?: SelectorOptions, exclude?: SelectorOptions): (c: ContainerFacts) => boolean {
  const includeTests = kindTests(include);
  const excludeTests = kindTests(exclude);
  return (c) => includeTests.every((t) => t(c)) && !excludeTests.some((t) => t(c));
}
