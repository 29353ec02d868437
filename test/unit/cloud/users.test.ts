import { describe, expect, it } from 'vitest';
import { startTestCloud } from '../../support/cloud-app.js';

/** The kommune's users over the admin API; a created user logs in. */

async function setup() {
  const cloud = await startTestCloud({ name: 'cloud-users' });
  const call = (method: 'GET' | 'POST', url: string, payload?: object, token = cloud.tokens.admin) => cloud.call(method, url, token, payload);
  return { ...cloud, call };
}

const newUser = { email: 'Energi@Aarhus.dk', name: 'Eva Energi', password: 'lang nok adgangskode', roles: ['energi', 'technician'] };

describe('users', () => {
  it('an admin creates a user of its kommune with roles; the user logs in with them', async () => {
    const h = await setup();
    const created = await h.call('POST', '/api/v1/users', newUser);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ email: 'energi@aarhus.dk', name: 'Eva Energi', roles: ['energi', 'technician'], disabled: false });
    expect(created.body).not.toContain('lang nok');
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { email: newUser.email, password: newUser.password, kommune: '0751' } });
    expect(login.statusCode).toBe(200);
    expect(login.json().roles).toEqual(['energi', 'technician']);
    const listed = await h.call('GET', '/api/v1/users');
    expect(listed.json()).toEqual([expect.objectContaining({ id: created.json().id, roles: ['energi', 'technician'] })]);
    expect(h.services.repositories.users.getById(created.json().id)!.passwordHash).toMatch(/^scrypt\$/);
  });

  it('lists only the users of the caller’s kommune', async () => {
    const h = await setup();
    await h.call('POST', '/api/v1/users', newUser);
    expect((await h.call('GET', '/api/v1/users', undefined, h.tokens.kbh)).json()).toEqual([]);
  });

  it('refuses a taken e-mail address (any case) with 409, a short password and unknown roles with 400 naming the field', async () => {
    const h = await setup();
    await h.call('POST', '/api/v1/users', newUser);
    const taken = await h.call('POST', '/api/v1/users', { ...newUser, email: 'ENERGI@aarhus.dk' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toEqual({ error: 'email: already in use' });
    const short = await h.call('POST', '/api/v1/users', { ...newUser, email: 'x@aarhus.dk', password: 'kort' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatch(/^password: /);
    const role = await h.call('POST', '/api/v1/users', { ...newUser, email: 'y@aarhus.dk', roles: ['superuser'] });
    expect(role.json().error).toMatch(/^roles\.0: /);
    const extra = await h.call('POST', '/api/v1/users', { ...newUser, email: 'z@aarhus.dk', kommune: '0101' });
    expect(extra.statusCode).toBe(400);
  });

  it('only admins create or list users', async () => {
    const h = await setup();
    const energi = h.services.apiTokens.issue('0751', { name: 'energi', roles: ['energi'] });
    expect((await h.call('POST', '/api/v1/users', newUser, energi.token)).statusCode).toBe(403);
    expect((await h.call('GET', '/api/v1/users', undefined, energi.token)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });
});
