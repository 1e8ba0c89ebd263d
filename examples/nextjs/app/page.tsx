import Link from 'next/link';
import { HelpButton } from './help-button';

export default function Home() {
  return (
    <main>
      <h1>Your app</h1>
      <HelpButton />
      <Link href="/other">Other page</Link>
    </main>
  );
}
