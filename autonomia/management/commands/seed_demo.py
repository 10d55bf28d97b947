"""`manage.py seed_demo`: a demo account with agents, inboxes and lively conversations (runs once)."""

import datetime as dt
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from autonomia.actions import create_account, save_team
from autonomia.models import AccountUser, User
from automations.models import CannedResponse
from contacts.actions import create_contact
from conversations import actions
from conversations.models import Conversation, Label, Message
from inboxes.actions import create_inbox

DEMO_EMAIL = "admin@autonomia.local"
DEMO_PASSWORD = "autonomia123"

CONTACTS = [
    ("Mariana Souza", "mariana.souza@exemplo.com.br", "+5511987654321", "Padaria Pão Quente", "São Paulo"),
    ("João Pereira", "joao.pereira@exemplo.com.br", "+5521998765432", "Construtora Horizonte", "Rio de Janeiro"),
    ("Fernanda Lima", "fernanda@lojadafe.com.br", "+5531991234567", "Loja da Fê", "Belo Horizonte"),
    ("Ricardo Alves", "ricardo.alves@exemplo.com.br", "+5541992345678", "Alves Distribuidora", "Curitiba"),
    ("Patrícia Gomes", "patricia.gomes@exemplo.com.br", "+5551993456789", "", "Porto Alegre"),
    ("Lucas Martins", "lucas@martinsauto.com.br", "+5561994567890", "Martins Auto Peças", "Brasília"),
    ("Beatriz Rocha", "bia.rocha@exemplo.com.br", "+5571995678901", "", "Salvador"),
    ("Gustavo Ferreira", "gustavo@ferreiratech.com.br", "+5581996789012", "Ferreira Tech", "Recife"),
    ("Camila Ribeiro", "camila.ribeiro@exemplo.com.br", "+5585997890123", "Doces da Camila", "Fortaleza"),
    ("Thiago Carvalho", "thiago@exemplo.com.br", "+5548998901234", "", "Florianópolis"),
]

THREADS = [
    ["Olá! Vocês entregam em Pinheiros?", "Oi, Mariana! Entregamos sim, o frete é grátis acima de R$ 150.",
     "Ótimo! Qual o prazo?"],
    ["Preciso de um orçamento para 200 sacos de cimento.", "Claro, João! Para qual endereço seria a entrega?"],
    ["Meu pedido #4821 ainda não chegou.", ],
    ["Gostaria de ser fornecedor de vocês. Com quem falo?", "Que bom, Ricardo! Vou te passar para o setor de compras."],
    ["Vocês aceitam Pix?", "Aceitamos Pix, cartão e boleto.", "Perfeito, obrigada!"],
    ["A peça que comprei veio com defeito.", ],
    ["Qual o horário de funcionamento da loja?", "Atendemos de segunda a sexta, das 9h às 18h."],
    ["Quero cancelar minha assinatura.", ],
    ["Vocês fazem bolo para festa de 50 pessoas?", "Fazemos sim! Qual sabor você prefere?", "Chocolate com morango."],
    ["Oi, tudo bem? Preciso de ajuda com a nota fiscal."],
]


class Command(BaseCommand):
    help = "Create the demo account (admin@autonomia.local / autonomia123) once."

    def handle(self, *args, **options):
        if User.objects.filter(email=DEMO_EMAIL).exists():
            self.stdout.write("Demo data already present.")
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(self.style.SUCCESS(f"Demo account ready: {DEMO_EMAIL} / {DEMO_PASSWORD}"))

    def _seed(self):
        rng = random.Random(42)
        provisioned = create_account(name="Autonomia Demo", email=DEMO_EMAIL, password=DEMO_PASSWORD,
                                     user_name="Ana Administradora")
        account, admin = provisioned.account, provisioned.user
        AccountUser.objects.filter(user=admin).update(auto_offline=False)
        agents = []
        for name, email in [("Bruno Costa", "bruno@autonomia.local"), ("Carla Dias", "carla@autonomia.local"),
                            ("Diego Nunes", "diego@autonomia.local")]:
            user = User.objects.create_user(email, DEMO_PASSWORD, name=name)
            AccountUser.objects.create(account=account, user=user, role=AccountUser.Role.AGENT, auto_offline=False)
            agents.append(user)
        vendas = save_team(account, actor=admin, team=None, name="Vendas", description="Pedidos e orçamentos",
                           allow_auto_assign=True, member_ids=[agents[0].pk, agents[1].pk])
        suporte = save_team(account, actor=admin, team=None, name="Suporte", description="Dúvidas e problemas",
                            allow_auto_assign=True, member_ids=[agents[1].pk, agents[2].pk])
        site = create_inbox(account, actor=admin, name="Loja Online", member_ids=[a.pk for a in agents],
                            greeting_enabled=True, greeting_message="Olá! Como podemos ajudar?")
        app = create_inbox(account, actor=admin, name="Aplicativo", member_ids=[agents[0].pk, agents[2].pk],
                           enable_auto_assignment=False)
        for title, color in [("vendas", "#16a34a"), ("suporte", "#2563eb"), ("urgente", "#dc2626"),
                             ("fornecedor", "#9333ea"), ("novo-cliente", "#f59e0b")]:
            Label.objects.create(account=account, title=title, color=color)
        CannedResponse.objects.bulk_create([
            CannedResponse(account=account, short_code="saudacao",
                           content="Olá, {{contact.name}}! Sou {{agent.name}}, como posso ajudar?"),
            CannedResponse(account=account, short_code="horario",
                           content="Nosso horário de atendimento é de segunda a sexta, das 9h às 18h."),
            CannedResponse(account=account, short_code="agradecimento",
                           content="Obrigado pelo contato, {{contact.name}}! Qualquer dúvida, estamos à disposição."),
            CannedResponse(account=account, short_code="pix", content="Nossa chave Pix é o CNPJ 12.345.678/0001-90."),
        ])
        statuses = [Conversation.Status.OPEN] * 5 + [Conversation.Status.PENDING] * 2 + [
            Conversation.Status.RESOLVED] * 2 + [Conversation.Status.SNOOZED]
        now = timezone.now()
        for i, (name, email, phone, company, city) in enumerate(CONTACTS):
            contact = create_contact(account, actor=admin, name=name, email=email, phone_number=phone,
                                     additional_attributes={"company_name": company, "city": city})
            inbox = site if i % 3 else app
            team = vendas if i % 2 == 0 else suporte
            conversation = actions.create_conversation(inbox, contact=contact, actor=None, team=team,
                                                       status=Conversation.Status.OPEN)
            lines = THREADS[i]
            for j, line in enumerate(lines):
                if j % 2 == 0:
                    actions.receive_message(conversation, sender=contact, content=line)
                else:
                    actions.send_reply(conversation, actor=rng.choice(agents), content=line)
            if i in (1, 3):
                actions.assign_agent(conversation, actor=admin, assignee=agents[0])
            if i == 2:
                actions.set_labels(conversation, actor=admin, titles=["urgente", "suporte"])
                actions.change_priority(conversation, actor=admin, priority=Conversation.Priority.URGENT)
                actions.send_reply(conversation, actor=admin, private=True,
                                   content="Verificar com a transportadora antes de responder.")
            if i == 3:
                actions.set_labels(conversation, actor=admin, titles=["fornecedor"])
            status = statuses[i]
            if status != Conversation.Status.OPEN:
                until = now + dt.timedelta(hours=4) if status == Conversation.Status.SNOOZED else None
                actions.change_status(conversation, actor=admin, status=status, snoozed_until=until)
            # Spread the history over the last days so the list shows real times.
            age = dt.timedelta(minutes=17 * i * i + 3)
            Message.objects.filter(conversation=conversation).update(created_at=now - age)
            Conversation.objects.filter(pk=conversation.pk).update(created_at=now - age - dt.timedelta(minutes=5),
                                                                   last_activity_at=now - age)
