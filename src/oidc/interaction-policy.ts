import { interactionPolicy } from 'oidc-provider';

const { Check, base } = interactionPolicy;

/**
 * oidc-provider's default prompts, with one more reason to ask for a login: the browser session names an
 * account that findAccount no longer returns (disabled or deleted). The provider alone treats the session
 * as signed in, finds no account and no grant, and fails in the consent check with a TypeError (a 500);
 * with this check the person sees the sign-in page again.
 */
export function interactionPolicyWithAccountCheck(): ReturnType<typeof base> {
  const policy = base();
  policy
    .get('login')!
    .checks.add(
      new Check('account_unavailable', 'the signed-in account is disabled or no longer exists', 'login_required', (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
    );
  return policy;
}
