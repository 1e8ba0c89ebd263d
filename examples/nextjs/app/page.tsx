import { HelpButton } from './help-button';

export default function Home() {
  return (
    <main>
      <h1>Your app</h1>
      <HelpButton />
    </main>
  );
}
