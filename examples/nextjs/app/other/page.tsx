import Link from 'next/link';

// A second page: a soft navigation here and back keeps the provider (in the layout) and its
// one widget; with cacheComponents Next.js keeps the page left behind in a hidden <Activity>.
export default function Other() {
  return (
    <main>
      <h1>Another page</h1>
      <Link href="/">Home</Link>
    </main>
  );
}
