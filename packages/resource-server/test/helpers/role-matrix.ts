/** Which of the four roles may use each route of the test APIs (from config/roles.json's permissions). */
export const EXPECTED_ACCESS: Record<string, string[]> = {
  '/read': ['admin', 'instructor', 'student', 'guest'],
  '/write': ['admin', 'instructor'],
  '/manage-users': ['admin'],
  '/admin': ['admin'],
  '/staff': ['admin', 'instructor'],
  // needs every listed permission: a student holds read but not write
  '/read-and-write': ['admin', 'instructor'],
};

export const ROLES = ['admin', 'instructor', 'student', 'guest'];

export const REALM = 'test-api';
