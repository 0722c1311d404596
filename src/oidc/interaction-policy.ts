import { interactionPolicy } from 'oidc-provider';
import { ACR_MFA, asksForMfa } from '../mfa/mfa-policy.js';

const { Check, base } = interactionPolicy;

/**
 * oidc-provider's default prompts, with one more reason to ask for a login: the browser session names an
 * account that findAccount no longer returns (disabled or deleted). The provider alone treats the session
 * as signed in, finds no account and no grant, and fails in the consent check with a TypeError (a 500);
 * with this check the person sees the sign-in page again. And step-up: a client that asks for
 * `acr_values=urn:auth-connect:acr:mfa` of a browser signed in with a password alone gets the second step
 * (our login page sees the reason `mfa_step_up` and asks only for the second factor).
 */
/** The login prompt's reason when only the second factor is missing. */
export const MFA_STEP_UP = 'mfa_step_up';

export function interactionPolicyWithAccountCheck(): ReturnType<typeof base> {
  const policy = base();
  policy
    .get('login')!
    .checks.add(
      new Check('account_unavailable', 'the signed-in account is disabled or no longer exists', 'login_required', (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
    );
  policy
    .get('login')!
    .checks.add(
      new Check(MFA_STEP_UP, 'the client asked for a sign-in with a second factor', 'login_required', (ctx) =>
        ctx.oidc.session?.accountId && asksForMfa(ctx.oidc.params?.acr_values) && ctx.oidc.acr !== ACR_MFA ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
    );
  return policy;
}
