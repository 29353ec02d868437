import type { Logger } from 'pino';
import type { CloudConfig } from './config.js';
import type { CloudServices } from './services.js';

export type BootstrapResult = 'created' | 'users-exist' | 'no-users';

/**
 * The first admin. Chosen: from the environment (SENSORBRO_ADMIN_EMAIL / _PASSWORD / _KOMMUNE,
 * optional _KOMMUNE_NAME), not a printed setup token: it fits containers and systemd units, needs
 * no extra unauthenticated endpoint, and nothing secret is printed or logged. It applies only
 * while the database has no user at all; afterwards the variables are ignored (and should be
 * removed). Without them on an empty database the cloud starts, warns, and nobody can log in.
 */
export async function bootstrapAdmin(services: CloudServices, admin: CloudConfig['admin'], logger: Logger): Promise<BootstrapResult> {
  const { repositories, users, auditor, clock } = services;
  if (repositories.users.count() > 0) {
    if (admin) logger.info('SENSORBRO_ADMIN_* are set but users exist; ignored (remove them from the environment)');
    return 'users-exist';
  }
  if (!admin) {
    logger.warn(
      'the database has no users: set SENSORBRO_ADMIN_EMAIL, SENSORBRO_ADMIN_PASSWORD and SENSORBRO_ADMIN_KOMMUNE and restart to create the first admin',
    );
    return 'no-users';
  }
  repositories.kommuner.ensure(admin.kommune, admin.kommuneName ?? admin.kommune, clock());
  const user = await users.create({ kommune: admin.kommune, email: admin.email, name: 'Administrator', password: admin.password, roles: ['admin'] });
  auditor.system('bootstrap.admin-created', { kommune: admin.kommune, target: `user:${user.id}`, detail: { email: user.email } });
  logger.info({ kommune: admin.kommune, userId: user.id }, 'first admin created from SENSORBRO_ADMIN_*');
  return 'created';
}
