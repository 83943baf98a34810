import { signIdentity } from 'closeloop/sdk';

// On your backend, for a page shown to a logged-in user: render the result into
// the page as Closeloop('boot', { identity }). It expires in an hour by default.
export async function closeloopIdentity(user: { id: string; email: string; name: string }) {
  return signIdentity(process.env.CLOSELOOP_SECRET_KEY!, { id: user.id, email: user.email, name: user.name });
}
