"""Seed the bench database with dataset D1 (docs/targets.md §4.2), deterministically and fast.

    .venv/bin/python -m bench.seed            # create + migrate + seed (no-op when already seeded)
    .venv/bin/python -m bench.seed --reset    # drop the bench database and seed it again
    .venv/bin/python -m bench.seed --scale 0.1 --reset   # a tenth of the rows, for trying things out

Target account "Bench A1": 10 inboxes, 50 agents (2 administrators), 5 teams, 20 labels, 200k contacts,
100k conversations (30 % open / 10 % pending / 60 % resolved over 365 days) and exactly 1M messages
(log-normal 1–200 per conversation; 10 % of the messages carry attachment metadata, no file).
Accounts "Bench A2".."Bench A5": 25k conversations and 100k messages each, so tenant filters must use indexes.

The small tables go through the ORM and the inbox action; contacts and conversations are generated in
Python with a fixed seed and loaded with COPY; messages are expanded in SQL (generate_series) from the
conversations' message counts, so every denormalised column the list reads is consistent:
Conversation.last_message_id (the latest non-activity message), last_activity_at (= the latest message),
waiting_since / first_reply_created_at / agent_last_seen_at (unread counts), display_id (1..n per account,
in creation order) with Account.last_conversation_display_id, a uuid per conversation, and
Contact.last_activity_at.
"""

import argparse
import datetime as dt
import math
import random
import time
import uuid
from dataclasses import dataclass

from bench import common

SEED = 20260101
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)  # fixed, so runs are identical
DAYS = 365

LABELS = ["vip", "billing", "bug", "feature-request", "refund", "shipping", "lead", "churn-risk", "onboarding",
          "whatsapp", "priority-support", "complaint", "feedback", "enterprise", "trial", "invoice", "delivery",
          "returns", "spam", "follow-up"]
COLORS = ["#ef4444", "#f97316", "#eab308", "#22c55e", "#14b8a6", "#3b82f6", "#6366f1", "#a855f7", "#ec4899",
          "#64748b"]
CHANNELS = ["Channel::Whatsapp", "Channel::WebWidget", "Channel::Email", "Channel::Api", "Channel::FacebookPage",
            "Channel::Instagram", "Channel::Telegram", "Channel::Sms", "Channel::WebWidget", "Channel::Api"]
INBOX_NAMES = ["WhatsApp Vendas", "Site", "E-mail Suporte", "API Loja", "Messenger", "Instagram", "Telegram",
               "SMS", "Site Ajuda", "API Parceiros"]
INBOX_WEIGHTS = [30, 20, 12, 10, 8, 6, 5, 4, 3, 2]
TEAMS = ["vendas", "suporte", "financeiro", "logística", "retenção"]
FIRST = ["Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João",
         "Karina", "Lucas", "Mariana", "Nicolas", "Olívia", "Pedro", "Quésia", "Rafael", "Sofia", "Tiago",
         "Úrsula", "Vinícius", "Wesley", "Ximena", "Yasmin", "Zeca", "Alice", "Bernardo", "Cecília", "Davi"]
LAST = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa",
        "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas"]
INCOMING = [
    "Olá, boa tarde! Gostaria de saber o status do meu pedido.",
    "Oi, meu produto chegou com defeito, como faço a troca?",
    "Vocês entregam no interior de São Paulo?",
    "Preciso da segunda via do boleto, por favor.",
    "Não consigo acessar minha conta, a senha não funciona.",
    "Qual o prazo de entrega para o CEP 01310-100?",
    "Obrigado pelo retorno!",
    "Ainda não recebi o reembolso que foi prometido na semana passada.",
    "Vocês têm esse modelo em outra cor?",
    "Quero cancelar a assinatura.",
    "Bom dia, podem me ajudar com a nota fiscal?",
    "Ok, vou aguardar.",
]
OUTGOING = [
    "Olá! Obrigado por entrar em contato, vou verificar para você.",
    "Seu pedido já foi enviado e deve chegar em até 3 dias úteis.",
    "Enviei a segunda via para o seu e-mail cadastrado.",
    "Poderia me informar o número do pedido, por favor?",
    "Sinto muito pelo transtorno! Já abri a solicitação de troca.",
    "Pronto, o cancelamento foi concluído. Posso ajudar em algo mais?",
    "O reembolso foi processado e aparece na fatura em até 2 ciclos.",
    "Temos sim, nas cores azul, preto e verde.",
]
ACTIVITY = ["Conversation was assigned", "Conversation was marked resolved", "Priority changed", "Label added"]


@dataclass
class Spec:
    name: str
    slug: str
    agents: int  # including the administrators
    admins: int
    inboxes: int
    teams: int
    labels: int
    contacts: int
    conversations: int
    messages: int


def specs(scale: float) -> list[Spec]:
    def n(value):
        return max(1, int(value * scale))

    a1 = Spec(common.TARGET_ACCOUNT, "a1", 50, 2, 10, 5, 20, n(200_000), n(100_000), n(1_000_000))
    others = [Spec(f"Bench A{i}", f"a{i}", 10, 1, 3, 2, 10, n(20_000), n(25_000), n(100_000)) for i in range(2, 6)]
    return [a1, *others]


# --- database ------------------------------------------------------------------------------------------

def ensure_database(reset: bool) -> bool:
    """Create the bench database (dropping it first with --reset); True when it was created."""
    import psycopg

    with psycopg.connect(f"{common.PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [common.BENCH_DB]).fetchone()
        if exists and reset:
            conn.execute(f'DROP DATABASE "{common.BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{common.BENCH_DB}"')
            return True
    return False


def lognormal_counts(rng: random.Random, n: int, total: int, lo: int = 1, hi: int = 200) -> list[int]:
    """n counts in [lo, hi], log-normally distributed, summing exactly to `total`."""
    mean = total / n
    sigma = 1.0
    mu = math.log(max(mean, 1.01)) - sigma * sigma / 2
    counts = [min(hi, max(lo, int(round(rng.lognormvariate(mu, sigma))))) for _ in range(n)]
    diff = total - sum(counts)
    step = 1 if diff > 0 else -1
    while diff:
        i = rng.randrange(n)
        if lo <= counts[i] + step <= hi:
            counts[i] += step
            diff -= step
    return counts


def weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights)[0]


def next_id(cur, table: str) -> int:
    cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
    return cur.fetchone()[0]


# --- one account ---------------------------------------------------------------------------------------

def seed_account(spec: Spec, index: int, password_hash: str) -> dict:
    from django.db import connection, transaction

    from autonomia.models import Account, AccountUser, Team, TeamMember, User
    from conversations.models import Label
    from inboxes import actions as inbox_actions

    rng = random.Random(SEED + index)
    started = time.monotonic()
    with transaction.atomic():
        account = Account.objects.create(name=spec.name, locale="pt-br")
        users = []
        for i in range(spec.agents):
            if i < spec.admins:
                email = f"admin{i + 1}@{spec.slug}.bench.test"
            else:
                email = f"agent{i - spec.admins + 1:02d}@{spec.slug}.bench.test"
            users.append(User(email=email, name=f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]} {spec.slug}",
                              password=password_hash, pubsub_token=uuid.UUID(int=rng.getrandbits(128)).hex))
        users = User.objects.bulk_create(users)
        AccountUser.objects.bulk_create([
            AccountUser(account=account, user=u, role=AccountUser.Role.ADMINISTRATOR if i < spec.admins
                        else AccountUser.Role.AGENT, auto_offline=True) for i, u in enumerate(users)])
        admins, agents = users[:spec.admins], users[spec.admins:]

        # Inbox membership: agent01 works exactly 3 inboxes; the others 2–4, every inbox has agents.
        members = {i: set() for i in range(spec.inboxes)}
        for j, agent in enumerate(agents):
            if j == 0 and spec.inboxes >= 7:
                chosen = [0, 3, 6]
            else:
                chosen = rng.sample(range(spec.inboxes), min(spec.inboxes, rng.randint(2, 4)))
            for i in chosen:
                members[i].add(agent.pk)
        for i in range(spec.inboxes):
            if not members[i]:
                members[i].add(agents[i % len(agents)].pk)
        inboxes = [inbox_actions.create_inbox(account, actor=admins[0], name=INBOX_NAMES[i],
                                              channel_type=CHANNELS[i], member_ids=sorted(members[i]))
                   for i in range(spec.inboxes)]

        teams = Team.objects.bulk_create([Team(account=account, name=TEAMS[i]) for i in range(spec.teams)])
        TeamMember.objects.bulk_create([TeamMember(team=teams[j % spec.teams], user=a)
                                        for j, a in enumerate(agents)])
        labels = Label.objects.bulk_create([
            Label(account=account, title=LABELS[i], color=COLORS[i % len(COLORS)], show_on_sidebar=i < 12)
            for i in range(spec.labels)])

        with connection.cursor() as c:
            rows = _bulk(c.cursor, rng, spec, account, admins, agents, inboxes, members, teams, labels)
        Account.objects.filter(pk=account.pk).update(last_conversation_display_id=spec.conversations)
    took = time.monotonic() - started
    print(f"  {spec.name}: {rows['conversations']:,} conversations, {rows['messages']:,} messages, "
          f"{rows['contacts']:,} contacts in {took:.1f} s", flush=True)
    return rows


def _bulk(cur, rng, spec, account, admins, agents, inboxes, members, teams, labels) -> dict:
    start = NOW - dt.timedelta(days=DAYS)
    contact_base = next_id(cur, "contacts_contact")
    ci_base = next_id(cur, "contacts_contactinbox")
    conv_base = next_id(cur, "conversations_conversation")
    inbox_members = {inboxes[i].pk: sorted(members[i]) for i in members}
    label_titles = [label.title for label in labels]
    label_weights = [1 / (i + 1) for i in range(len(labels))]  # Zipf-like: "vip" the most common
    counts = lognormal_counts(rng, spec.conversations, spec.messages)
    created_times = sorted(start + dt.timedelta(seconds=rng.random() * DAYS * 86400)
                           for _ in range(spec.conversations))

    contact_last: dict[int, dt.datetime] = {}
    contact_inboxes: dict[tuple[int, int], int] = {}
    conversations, conv_labels, participants, mentions = [], [], [], []
    for i in range(spec.conversations):
        conv_id = conv_base + i
        created = created_times[i]
        n = counts[i]
        # Busy contacts come back: a skewed pick, most contacts have one conversation or none.
        contact_id = contact_base + int(spec.contacts * rng.random() ** 1.6)
        inbox = weighted(rng, inboxes, INBOX_WEIGHTS[:len(inboxes)])
        key = (contact_id, inbox.pk)
        if key not in contact_inboxes:
            contact_inboxes[key] = ci_base + len(contact_inboxes)
        # Duration of the conversation: minutes to weeks, longer with more messages.
        minutes = min(30 * 86400, rng.lognormvariate(math.log(30 + 8 * n), 1.2))
        last = min(NOW, created + dt.timedelta(minutes=minutes)) if n > 1 else created
        age_days = (NOW - last).days
        r = rng.random()
        # 30 / 10 / 60 overall, with open and pending conversations skewed towards recent activity.
        p_open = 0.30 * (1.6 if age_days < 120 else 0.7)
        status = 0 if r < p_open else 2 if r < p_open + 0.10 else 1
        if status == 1:
            assignee = rng.choice(inbox_members[inbox.pk]) if rng.random() < 0.95 else None
        elif status == 0:
            assignee = rng.choice(inbox_members[inbox.pk]) if rng.random() < 0.70 else None
        else:
            assignee = rng.choice(inbox_members[inbox.pk]) if rng.random() < 0.30 else None
        if assignee and rng.random() < 0.03:
            assignee = admins[0].pk
        team = rng.choice(teams).pk if rng.random() < 0.5 else None
        pr = rng.random()
        priority = None if pr < 0.6 else 0 if pr < 0.75 else 1 if pr < 0.87 else 2 if pr < 0.95 else 3
        waiting = status != 1 and n > 0 and rng.random() < 0.5
        if status == 1:
            seen = last
        elif rng.random() < 0.6:
            seen = last
        elif rng.random() < 0.5:
            seen = None
        else:
            seen = created + (last - created) / 2
        first_reply = created + (last - created) / (n - 1) if n >= 2 and not (n == 2 and waiting) else None
        conversations.append((
            conv_id, account.pk, inbox.pk, contact_id, contact_inboxes[key], i + 1,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), status, priority, assignee, team,
            seen, seen if assignee else None, first_reply, last if waiting else None, last, created, last,
            n, waiting,
        ))
        k = rng.choices([0, 1, 2, 3], [45, 30, 17, 8])[0]
        for title in set(rng.choices(label_titles, label_weights, k=k)):
            conv_labels.append((conv_id, title))
        if assignee:
            participants.append((conv_id, assignee))
        if rng.random() < 0.02:
            mentions.append((conv_id, rng.choice(inbox_members[inbox.pk]), last))
        if contact_id not in contact_last or contact_last[contact_id] < last:
            contact_last[contact_id] = last

    def copy(table: str, columns: list[str], rows) -> None:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)

    copy("contacts_contact", ["id", "account_id", "name", "middle_name", "last_name", "email", "phone_number",
                              "avatar", "additional_attributes", "custom_attributes", "contact_type", "location",
                              "country_code", "blocked", "last_activity_at", "created_at", "updated_at"],
         _contacts(rng, spec, account.pk, contact_base, contact_last, start))
    copy("contacts_contactinbox", ["id", "contact_id", "inbox_id", "source_id", "pubsub_token", "hmac_verified",
                                   "created_at"],
         ((ci, contact_id, inbox_id, f"src-{contact_id}-{inbox_id}", f"ps-{spec.slug}-{ci}", False, start)
          for (contact_id, inbox_id), ci in contact_inboxes.items()))

    cur.execute("""
        CREATE TEMP TABLE bench_conv (
            id bigint PRIMARY KEY, account_id bigint, inbox_id bigint, contact_id bigint, contact_inbox_id bigint,
            display_id int, uuid uuid, status int, priority int, assignee_id bigint, team_id bigint,
            agent_last_seen_at timestamptz, assignee_last_seen_at timestamptz, first_reply_created_at timestamptz,
            waiting_since timestamptz, last_activity_at timestamptz, created_at timestamptz,
            updated_at timestamptz, n_msgs int, waiting bool
        ) ON COMMIT DROP""")
    copy("bench_conv", ["id", "account_id", "inbox_id", "contact_id", "contact_inbox_id", "display_id", "uuid",
                        "status", "priority", "assignee_id", "team_id", "agent_last_seen_at",
                        "assignee_last_seen_at", "first_reply_created_at", "waiting_since", "last_activity_at",
                        "created_at", "updated_at", "n_msgs", "waiting"], conversations)
    message_base = next_id(cur, "conversations_message")
    # Message skeletons, numbered in global time order like real ids. Type: the first is incoming, the
    # second the first reply, the last incoming when the customer is waiting; in between ~45 % incoming,
    # ~3 % activity lines, ~2 % private notes, the rest replies.
    cur.execute("""
        CREATE TEMP TABLE bench_msg ON COMMIT DROP AS
        SELECT %(base)s + row_number() OVER (ORDER BY t, conversation_id, k) - 1 AS id, *
        FROM (
            SELECT c.id AS conversation_id, k,
                   CASE WHEN c.n_msgs = 1 THEN c.created_at
                        ELSE c.created_at + (c.last_activity_at - c.created_at) * (k - 1) / (c.n_msgs - 1) END AS t,
                   CASE WHEN k = 1 THEN 0
                        WHEN k = c.n_msgs AND c.waiting THEN 0
                        WHEN k = 2 THEN 1
                        WHEN k = c.n_msgs THEN 1
                        WHEN h < 45 THEN 0
                        WHEN h < 48 THEN 2
                        ELSE 1 END AS mtype,
                   (k > 2 AND k < c.n_msgs AND h BETWEEN 48 AND 49) AS private,
                   abs(hashint8(c.id * 1000 + k)) %% 1000 AS h2
            FROM bench_conv c
            CROSS JOIN LATERAL generate_series(1, c.n_msgs) AS k
            CROSS JOIN LATERAL (SELECT abs(hashint8(c.id * 1000 + k + 7)) %% 100 AS h) hh
        ) s""", {"base": message_base})
    cur.execute("CREATE INDEX ON bench_msg (conversation_id, mtype)")
    cur.execute("ANALYZE bench_msg")

    cur.execute("""
        INSERT INTO conversations_conversation (
            id, account_id, inbox_id, contact_id, contact_inbox_id, display_id, uuid, status, priority,
            assignee_id, team_id, snoozed_until, additional_attributes, custom_attributes, identifier,
            agent_last_seen_at, assignee_last_seen_at, contact_last_seen_at, first_reply_created_at,
            waiting_since, last_activity_at, created_at, updated_at, last_message_id)
        SELECT c.id, c.account_id, c.inbox_id, c.contact_id, c.contact_inbox_id, c.display_id, c.uuid, c.status,
               c.priority, c.assignee_id, c.team_id, NULL, '{}', '{}', '', c.agent_last_seen_at,
               c.assignee_last_seen_at, c.created_at, c.first_reply_created_at, c.waiting_since,
               c.last_activity_at, c.created_at, c.updated_at, m.last_id
        FROM bench_conv c
        LEFT JOIN (SELECT conversation_id, max(id) AS last_id FROM bench_msg WHERE mtype <> 2
                   GROUP BY conversation_id) m ON m.conversation_id = c.id
        ORDER BY c.id""")
    # Every tenth message carries attachment metadata; a third of those have no text.
    cur.execute("""
        INSERT INTO conversations_message (
            id, account_id, inbox_id, conversation_id, message_type, content_type, content, private, status,
            source_id, sender_type, sender_id, content_attributes, additional_attributes, external_source_ids,
            created_at, updated_at)
        SELECT m.id, c.account_id, c.inbox_id, m.conversation_id, m.mtype, 0,
               CASE WHEN m.h2 %% 10 = 0 AND m.mtype <> 2 AND m.h2 %% 3 = 0 THEN ''
                    WHEN m.mtype = 0 THEN (%(incoming)s::text[])[1 + m.h2 %% %(n_in)s]
                    WHEN m.mtype = 2 THEN (%(activity)s::text[])[1 + m.h2 %% %(n_act)s]
                    WHEN m.private THEN 'Nota interna: cliente recorrente, verificar histórico.'
                    ELSE (%(outgoing)s::text[])[1 + m.h2 %% %(n_out)s] END,
               m.private, CASE WHEN m.mtype = 1 THEN 2 ELSE 0 END,
               CASE WHEN m.mtype = 0 THEN 'wamid.' || m.id ELSE NULL END,
               CASE m.mtype WHEN 0 THEN 'Contact' WHEN 1 THEN 'User' ELSE '' END,
               CASE m.mtype WHEN 0 THEN c.contact_id WHEN 1 THEN coalesce(c.assignee_id, %(admin)s) END,
               '{}', '{}', '{}', m.t, m.t
        FROM bench_msg m JOIN bench_conv c ON c.id = m.conversation_id
        ORDER BY m.id""", {"incoming": INCOMING, "n_in": len(INCOMING), "outgoing": OUTGOING,
                            "n_out": len(OUTGOING), "activity": ACTIVITY, "n_act": len(ACTIVITY),
                            "admin": admins[0].pk})
    messages = cur.rowcount
    cur.execute("""
        INSERT INTO conversations_attachment (
            message_id, account_id, file_type, file, thumbnail, file_name, content_type, file_size, width, height,
            extension, external_url, fallback_title, meta, created_at)
        SELECT m.id, %(account)s, (m.h2 / 10) %% 4,
               '', '', 'arquivo-' || m.id || (ARRAY['.jpg', '.ogg', '.mp4', '.pdf'])[1 + (m.h2 / 10) %% 4],
               (ARRAY['image/jpeg', 'audio/ogg', 'video/mp4', 'application/pdf'])[1 + (m.h2 / 10) %% 4],
               20000 + m.h2 * 997, NULL, NULL, (ARRAY['jpg', 'ogg', 'mp4', 'pdf'])[1 + (m.h2 / 10) %% 4],
               'https://cdn.example.com/bench/' || m.id, '', '{}', m.t
        FROM bench_msg m WHERE m.h2 %% 10 = 0 AND m.mtype <> 2
        ORDER BY m.id""", {"account": account.pk})
    attachments = cur.rowcount
    copy("conversations_conversationlabel", ["conversation_id", "title"], conv_labels)
    copy("conversations_conversationparticipant", ["conversation_id", "user_id"], participants)
    copy("conversations_mention", ["conversation_id", "user_id", "mentioned_at"], mentions)
    cur.execute("DROP TABLE bench_msg")
    cur.execute("DROP TABLE bench_conv")
    return {"contacts": spec.contacts, "conversations": len(conversations), "messages": messages,
            "attachments": attachments, "labels": len(conv_labels)}


def _contacts(rng, spec, account_id, base, contact_last, start):
    for i in range(spec.contacts):
        cid = base + i
        first, last = FIRST[rng.randrange(len(FIRST))], LAST[rng.randrange(len(LAST))]
        r = rng.random()
        email = f"{first.lower()}.{last.lower()}.{i}@{spec.slug}.cliente.test" if r < 0.8 else None
        phone = f"+55119{i:08d}" if r > 0.3 else None
        created = start + dt.timedelta(seconds=(i / spec.contacts) * DAYS * 86400)
        activity = contact_last.get(cid)
        yield (cid, account_id, f"{first} {last}", "", "", email, phone, "",
               '{"city": "São Paulo", "country": "Brasil"}', "{}", 2 if activity else 0, "", "BR", False,
               activity, min(created, activity) if activity else created, activity or created)


BIG_TABLES = ["contacts_contact", "contacts_contactinbox", "conversations_conversation", "conversations_message",
              "conversations_attachment", "conversations_conversationlabel", "conversations_conversationparticipant",
              "conversations_mention"]
FOREIGN_KEYS = [  # (table, column, referenced table) checked after the load, since triggers are off during it
    ("contacts_contactinbox", "contact_id", "contacts_contact"),
    ("conversations_conversation", "contact_id", "contacts_contact"),
    ("conversations_conversation", "contact_inbox_id", "contacts_contactinbox"),
    ("conversations_conversation", "last_message_id", "conversations_message"),
    ("conversations_conversation", "assignee_id", "autonomia_user"),
    ("conversations_message", "conversation_id", "conversations_conversation"),
    ("conversations_attachment", "message_id", "conversations_message"),
    ("conversations_conversationlabel", "conversation_id", "conversations_conversation"),
    ("conversations_conversationparticipant", "conversation_id", "conversations_conversation"),
    ("conversations_mention", "conversation_id", "conversations_conversation"),
]


def drop_secondary_indexes(cur) -> list[str]:
    """Drop the big tables' indexes that back no constraint; returns their definitions to recreate.

    Building an index once after the load is several times faster than maintaining it row by row.
    """
    cur.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""", [BIG_TABLES])
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def check_foreign_keys(cur) -> None:
    for table, column, target in FOREIGN_KEYS:
        cur.execute(f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target} r WHERE r.id = t.{column})")
        broken = cur.fetchone()[0]
        if broken:
            raise RuntimeError(f"{broken} rows of {table}.{column} point nowhere")


def reset_sequences() -> None:
    from django.db import connection

    tables = ["contacts_contact", "contacts_contactinbox", "conversations_conversation", "conversations_message"]
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")


def vacuum_analyze() -> None:
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply contacts, conversations and messages")
    args = parser.parse_args()

    common.configure_env()
    import os

    os.environ.setdefault("DB_POOL", "0")
    started = time.monotonic()
    ensure_database(args.reset)
    common.setup_django()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from autonomia.models import Account

    call_command("migrate", verbosity=0)
    if Account.objects.filter(name=common.TARGET_ACCOUNT).exists():
        print(f"{common.BENCH_DB} is already seeded (use --reset to start over)")
        return
    print(f"seeding {common.BENCH_DB} (scale {args.scale})", flush=True)
    password_hash = make_password(common.PASSWORD)
    totals: dict[str, int] = {}
    # One transaction: an interrupted seed leaves an empty database, never a half-seeded one.
    with transaction.atomic(), connection.cursor() as cursor:
        cur = cursor.cursor
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # deterministic plans
        # Foreign-key triggers off during the load (each would lock the parent row); checked below instead.
        cur.execute("SET LOCAL session_replication_role = replica")
        indexes = drop_secondary_indexes(cur)
        for index, spec in enumerate(specs(args.scale)):
            for key, value in seed_account(spec, index, password_hash).items():
                totals[key] = totals.get(key, 0) + value
        t = time.monotonic()
        for definition in indexes:
            cur.execute(definition)
        print(f"  {len(indexes)} indexes rebuilt in {time.monotonic() - t:.1f} s", flush=True)
        cur.execute("SET LOCAL session_replication_role = origin")
        check_foreign_keys(cur)
        reset_sequences()
    t = time.monotonic()
    vacuum_analyze()
    print(f"  VACUUM ANALYZE in {time.monotonic() - t:.1f} s")
    print(f"seeded {', '.join(f'{v:,} {k}' for k, v in totals.items())} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
