import { AuthConnectError } from '../errors.js';

export const invalidMfaCode = () => new AuthConnectError('INVALID_MFA_CODE', 'the code is wrong, expired or was used already');
export const alreadyEnrolled = () =>
  new AuthConnectError('MFA_ALREADY_ENROLLED', 'an authenticator app is already set up; remove it before setting up another');
export const noTotpEnrolment = () => new AuthConnectError('MFA_NOT_ENROLLED', 'no authenticator app setup was started; start one first');
export const noSecondFactor = () => new AuthConnectError('MFA_NOT_ENROLLED', 'set up an authenticator app or a passkey first');
export const passkeyNotFound = () => new AuthConnectError('PASSKEY_NOT_FOUND', 'no such passkey');
